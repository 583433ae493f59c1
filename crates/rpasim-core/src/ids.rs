//! Small integer ids of entities; names live only at the edges (parsing, output).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl $name {
            /// The id as an index into the owning `Vec`.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the entity at `index` of the owning `Vec`.
            pub fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).expect("fewer than 2^32 entities"))
            }
        }
    };
}

id_type!(
    /// An environment, index into [`ModelSpec::environments`](crate::model::ModelSpec::environments).
    EnvironmentId
);
id_type!(
    /// A run queue's owner (a standalone machine or a machine group), index
    /// into [`ModelSpec::targets`](crate::model::ModelSpec::targets).
    TargetId
);
id_type!(
    /// A machine, index into [`ModelSpec::machines`](crate::model::ModelSpec::machines).
    MachineId
);
id_type!(
    /// A desktop flow, index into [`ModelSpec::flows`](crate::model::ModelSpec::flows).
    FlowId
);
