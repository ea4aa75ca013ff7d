//! A job's cost reaching pictures already in the gallery (it may come after the pictures: the
//! balance is read once every job on the same key ended).

use super::Gallery;
use easel_engine::cost::{ImageCost, JobCost};

impl Gallery {
    /// Give each picture of `job` its share of `cost`.
    pub fn set_job_cost(&mut self, job: &str, cost: &JobCost) {
        let Some(each) = cost.per_image() else { return };
        let share = ImageCost { amount: each, currency: cost.currency.clone(), source: cost.source };
        for image in self.groups.iter_mut().flat_map(|g| g.images.iter_mut()).filter(|i| i.job == job) {
            image.cost = Some(share.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::gallery::GroupKey;
    use easel_engine::cost::CostSource;

    #[test]
    fn a_late_cost_reaches_the_pictures_of_its_job_only() {
        let mut gallery = Gallery::default();
        let (mut a, mut b, mut c) =
            (crate::app::fixtures::image_record(1), crate::app::fixtures::image_record(2), crate::app::fixtures::image_record(3));
        (a.job, b.job, c.job) = ("j-1".into(), "j-1".into(), "j-2".into());
        for record in [a, b, c] {
            gallery.add(record, GroupKey::Batch(1));
        }
        let cost = JobCost { amount: 0.01, currency: Some("USD".into()), source: CostSource::Balance, images: 2, usage: None };
        gallery.set_job_cost("j-1", &cost);
        assert_eq!(gallery.get(1).and_then(|r| r.cost.as_ref()).map(|c| c.amount), Some(0.005));
        assert_eq!(gallery.get(2).and_then(|r| r.cost.as_ref()).map(|c| c.source), Some(CostSource::Balance));
        assert!(gallery.get(3).unwrap().cost.is_none(), "another job's picture");
    }
}
